#!/usr/bin/env bash
# Run tests once per seed, the way CI never does: Hypothesis draws fresh examples from the seed
# (HYPOTHESIS_PROFILE=random, --hypothesis-seed=N), the test files and the tests in each file run in
# an order shuffled by the seed (--shuffle-seed=N, tests/conftest.py), and the global random module is
# seeded per test. A failure names its seed; rerun just that seed to reproduce it.
#
#   scripts/seed_sweep.sh 1-20                 # the seed-dependent test files, seeds 1..20
#   scripts/seed_sweep.sh 7 tests/             # the whole suite on seed 7
#   scripts/seed_sweep.sh 1,5,15 tests/nlp/keywords/test_reference.py -k fire
#
# Seeds: N, A-B or a comma list. Default selection: every test file that uses Hypothesis or draws
# from random itself (listed below). Extra pytest options go after the paths.
set -u
cd "$(dirname "$0")/.."

SEEDED=(
    tests/alerts/notifiers/test_conformance.py
    tests/alerts/test_markup.py
    tests/alerts/test_render.py
    tests/alerts/test_dispatch.py
    tests/alerts/test_channel_health.py
    tests/faults/test_fuzz_inputs.py
    tests/faults/test_journal_property.py
    tests/nlp/keywords/test_edges.py
    tests/nlp/keywords/test_reference.py
    tests/sources/http/test_client.py
    tests/sources/http/test_limits.py
)

spec=${1:-1-20}
shift || true
seeds=()
IFS=',' read -ra parts <<< "$spec"
for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then
        for ((s = ${part%-*}; s <= ${part#*-}; s++)); do seeds+=("$s"); done
    else
        seeds+=("$part")
    fi
done
if [[ $# -eq 0 ]]; then
    set -- "${SEEDED[@]}"
fi

passed=()
failed=()
for seed in "${seeds[@]}"; do
    echo "== seed $seed"
    if HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-random} PYTHONPATH=$PWD python -m pytest -q -p no:cacheprovider \
            --hypothesis-seed="$seed" --shuffle-seed="$seed" "$@"; then
        passed+=("$seed")
    else
        failed+=("$seed")
    fi
done
echo "seed sweep: ${#passed[@]} passed (${passed[*]:-}), ${#failed[@]} failed (${failed[*]:-})"
[[ ${#failed[@]} -eq 0 ]]
