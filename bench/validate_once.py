"""Time one validation of a CSV file, engine only: the dataset type is parsed first.

For before/after comparisons of the validator across two checkouts (each run with its
own ``PYTHONPATH``), alternated, so that what is compared is the engine and not start-up
work such as parsing the shipped dataset types. Prints one JSON line: wall and CPU
seconds, and the error count (which must match between the two checkouts).

    PYTHONPATH=src:. .venv/bin/python -m bench.validate_once transactions FILE.csv
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.validator import Validator


def main() -> None:
    dataset_name, path = sys.argv[1], Path(sys.argv[2])
    dataset = {d.name: d for d in shipped_datasets()}[dataset_name]
    wall, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as source:
        # With the path, as the pipeline calls it (plain files take the fast path); no sink:
        # the validation rate alone.
        report = Validator(dataset).validate(source, None, path)
    result = {
        "wall": round(time.perf_counter() - wall, 3),
        "cpu": round(time.process_time() - cpu, 3),
        "errors": report.error_count,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
