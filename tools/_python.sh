# Sourced by the launch scripts (tools/dist_*.sh, tools/slurm_*.sh) after
# they set TOOLS_DIR: PYTHON is the project venv's interpreter unless
# another environment is active or PYTHON is set.
if [[ -z ${PYTHON:-} ]]; then
    if [[ -z ${VIRTUAL_ENV:-} && -x $TOOLS_DIR/../.venv/bin/python ]]; then
        PYTHON=$TOOLS_DIR/../.venv/bin/python
    else
        PYTHON=python
    fi
fi
