"""xner: zero-resource cross-lingual NER by teacher-student learning (Wu et al., ACL 2020)."""

__version__ = "0.1.0"
