# The files here are MPI programs launched by tests/test_mpi.py under mpiexec, not test
# modules: importing one in the serial pytest process (doctest collection) would
# initialise MPI there and run it.
collect_ignore_glob = ["*.py"]
