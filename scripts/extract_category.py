#!/usr/bin/env python3
"""Copy one category's records out of the official CIFAR-10 binaries into a train.bin/test.bin subset.

This is how data/cifar10-horse/ was made (category 7):
    python3 scripts/extract_category.py ../shared/data/cifar-10-batches-bin 7 data/cifar10-horse
Records are copied byte for byte, in the official order; tests check the result against the full set.
"""
import pathlib
import shutil
import sys

RECORD = 3073


def extract(files, category, out):
    with open(out, "wb") as sink:
        for f in files:
            data = f.read_bytes()
            for i in range(0, len(data), RECORD):
                if data[i] == category:
                    sink.write(data[i:i + RECORD])


def main():
    src, category, dst = pathlib.Path(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])
    dst.mkdir(parents=True, exist_ok=True)
    extract([src / f"data_batch_{i}.bin" for i in range(1, 6)], category, dst / "train.bin")
    extract([src / "test_batch.bin"], category, dst / "test.bin")
    shutil.copyfile(src / "batches.meta.txt", dst / "batches.meta.txt")


if __name__ == "__main__":
    main()
