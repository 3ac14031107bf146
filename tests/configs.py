"""Small configs shared by the test modules (import as ``from configs import ...``)."""

#: A small AFPO run of the Bielawski preset (a few seconds).
def afpo_toml(seed: int = 7, generations: int = 12, pop_size: int = 24) -> str:
    return f"""
seed = {seed}
generations = {generations}

[model]
preset = "bielawski"
base_size = 32
steps = 30

[task]
target = "square"

[algorithm]
name = "afpo"
pop_size = {pop_size}
n_newcomers = 2

[mutation]
name = "resample"
"""


#: An exhaustive neutral analysis of a toy threshold map (L = 6).
TOY_EXHAUSTIVE = """
seed = 3
[map]
kind = "toy"
name = "threshold"
L = 6
threshold = 3
[build]
method = "exhaustive"
"""


#: The head of a child script that runs the ``alife`` CLI (argv[3:]) and
#: SIGKILLs itself at the n-th call (argv[2]) of the function that the rest of
#: the script wraps with ``killing`` according to ``where`` (argv[1]).
KILL_AT_NTH_CALL = """
import os, signal, sys
where, n = sys.argv[1], int(sys.argv[2])
calls = [0]
def killing(orig):
    def f(*a, **k):
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return orig(*a, **k)
    return f
"""
