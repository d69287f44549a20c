"""What one tally of 1,000 answers costs the reactor, per question kind.

The server folds every change of 100 ms into one tally, so a tally is
computed at most ten times a second; this measures how long one takes (the
reactor does nothing else meanwhile): the word cloud and answer list of a
text question, the histogram of a numeric one, the counts of a multiple one.

    python bench/tally_cost.py --answers 1000
"""

import argparse
import json
import time

from lecture_load import ANSWER, QUESTIONS

from iclicker.domain.question_kinds import stored_answer, tally_for


def cost_ms(kind: str, answers: int, repeats: int) -> dict:
    question = QUESTIONS[kind]
    choices = tuple(question.get("choices", ()))
    tally = tally_for(kind, choices)
    for i in range(answers):
        tally.add(stored_answer(kind, choices, ANSWER[kind](i)))
    accepted = question["correct"] if kind == "text" else ()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        tally.summary((), accepted)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(samples[len(samples) // 2], 3), "max_ms": round(samples[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    result = {kind: cost_ms(kind, args.answers, args.repeats) for kind in QUESTIONS}
    print(json.dumps({"answers": args.answers, "one_tally": result}, indent=2))


if __name__ == "__main__":
    main()
