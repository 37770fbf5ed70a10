"""mr: the MapReduce lab (course Lab 1), with real processes as in the course.

Cheat sheet:

    python -m mr.coordinator INPUT...        coordinator, nReduce 10; exits when the job is done
    python -m mr.worker APP.py               a worker; run several; exits when the job is over
                                             (waits up to 5 s for a coordinator not started yet)
    python -m mr.sequential APP.py INPUT...  the reference: everything in one process, into mr-out-0
                                             (or --output FILE)
    python -m mr.inputs FOLDER               writes the 8 generated pg-*.txt inputs

    Each answers --help; a bad option is a usage error (status 2); Ctrl-C exits with status 130.

    $MR_SOCKET    the coordinator's Unix socket (default /var/tmp/824-mr-<uid>, as the course)

Apps live in mr/apps/ (wc, indexer, mtiming, rtiming, jobcount, early_exit, crash, nocrash):
each is a Python file, loaded by path, defining map(filename, contents) -> [(key, value)] and
reduce(key, values) -> str. Files: mr-X-Y (intermediate: a checksummed header line, then JSON
runs, see mr/intermediate.py), mr-out-Y ("key value" lines),
each written to a hidden .mr-tmp-* file and renamed into place.
"""
