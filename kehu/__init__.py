"""Kehu (客户): a customer-information-management system."""

import os

# NumPy/SciPy's OpenBLAS starts a thread per core and spins them on every small operation.
# Kehu's array work (the analytics fits: 4 parameters, vectors of customers) gains nothing
# from them, and on a shared machine the spinning threads doubled the refresh's CPU time and
# tripled its wall time (bench/RESULTS.md, issue 18). Set before NumPy is first imported;
# an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
