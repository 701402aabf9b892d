"""Runs a test script's `test_*` functions in order, printing ok/FAIL per test (with the traceback), and exits 1
when one failed. The Python test scripts under Tests/ share it: `from testrunner import run_tests, finish`."""
import sys
import time
import traceback


def run_tests(namespace, note=lambda name: ""):
    """Every callable `test_*` of `namespace` (a module's globals()); returns (number of tests, names failed)."""
    tests = [(name, f) for name, f in list(namespace.items()) if name.startswith("test_") and callable(f)]
    failed = []
    for name, test in tests:
        start = time.time()
        try:
            test()
            print(f"ok    {name} ({time.time() - start:.1f} s){note(name)}", flush=True)
        except Exception:
            failed.append(name)
            print(f"FAIL  {name}\n{traceback.format_exc()}", flush=True)
    return len(tests), failed


def finish(count, failed, passed, failure_detail=""):
    """Prints the outcome and exits 1 when something failed; `passed` ends the line of a clean run."""
    if failed:
        print(f"\n{len(failed)} of {count} failed: {', '.join(failed)}{failure_detail}")
        sys.exit(1)
    print(f"\nall {count} {passed}")
