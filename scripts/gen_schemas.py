"""Regenerate the JSON Schemas in ``schemas/`` from the models (run after changing a model)."""

from pathlib import Path

from mentorstd.schemas import write_all

if __name__ == "__main__":
    for path in write_all(Path(__file__).resolve().parents[1] / "schemas"):
        print(path)
