#!/usr/bin/env bash
# The README's test command: sets up .venv if needed, then runs the suite.
#   bash tools/run_tests.sh [pytest arguments]
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMSSMD_VENV:-$REPO_ROOT/.venv}
bash "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
exec "$VENV/bin/python" -m pytest tests "$@"
