"""tools/slurm_{train,test}.sh (MMDetection's form) and ``--launcher
slurm`` on a CPU-only machine (ranks from Slurm's variables, gloo)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import REPO_ROOT, demo_data_options, train_in_process
from test_train_test_tools import SSMD_CONFIG, free_port

# records its arguments and the job's environment; with SRUN_RUN=1 runs
# the task as one Slurm task would (rank 0 of 1 on this host)
STUB = '''#!/usr/bin/env bash
printf '%s\\n' "$@" > "$SRUN_LOG"
env > "$SRUN_LOG.env"
[[ ${SRUN_RUN:-0} == 1 ]] || exit 0
while [[ $1 == -* ]]; do [[ $1 == -p ]] && shift; shift; done
SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST=$(hostname) \\
    exec "$@"
'''


def run_script(tmp_path: Path, script: str, args, run: bool = False,
               **env) -> tuple:
    """``bash tools/SCRIPT ARGS`` with the stub ``srun`` first on PATH;
    returns (srun's arguments, the job's environment, the output)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(STUB)
    (bin_dir / 'srun').chmod(0o755)
    log = tmp_path / f'{script}.args'
    full_env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}',
                    SRUN_LOG=str(log), SRUN_RUN=str(int(run)),
                    PYTHON=sys.executable, **env)
    proc = subprocess.run(['bash', f'tools/{script}', *map(str, args)],
                          cwd=REPO_ROOT, capture_output=True, text=True,
                          env=full_env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    job_env = dict(line.split('=', 1) for line in
                   Path(f'{log}.env').read_text().splitlines()
                   if '=' in line)
    return log.read_text().splitlines(), job_env, out


def srun_options(gpus: int, per_node: int, cpus: int) -> list:
    return ['-p', 'gpu', '--job-name=ssmd', f'--gres=gpu:{per_node}',
            f'--ntasks={gpus}', f'--ntasks-per-node={per_node}',
            f'--cpus-per-task={cpus}', '--kill-on-bad-exit=1']


@pytest.mark.slow
def test_slurm_scripts_command_lines(tmp_path):
    args, env, _ = run_script(
        tmp_path, 'slurm_train.sh',
        ['gpu', 'ssmd', SSMD_CONFIG, 'work_dirs/x', '--amp',
         '--cfg-options', 'train_cfg.max_iters=4'],
        GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='4',
        SRUN_ARGS='--quotatype=auto --time=10')
    tools = REPO_ROOT / 'tools'
    assert args == srun_options(16, 8, 4) + [
        '--quotatype=auto', '--time=10', sys.executable, '-u',
        str(tools / 'train.py'), SSMD_CONFIG, '--work-dir=work_dirs/x',
        '--launcher=slurm', '--amp', '--cfg-options',
        'train_cfg.max_iters=4']
    assert env['PYTHONPATH'].split(':')[0] == str(tools / '..')

    args, _, _ = run_script(tmp_path, 'slurm_test.sh',
                            ['gpu', 'ssmd', SSMD_CONFIG, 'ckpt.pth',
                             '--out', 'p.pkl'])
    # MMDetection's defaults: 8 GPUs, 8 per node, 5 CPUs per task
    assert args == srun_options(8, 8, 5) + [
        sys.executable, '-u', str(tools / 'test.py'), SSMD_CONFIG,
        'ckpt.pth', '--launcher=slurm', '--out', 'p.pkl']


@pytest.mark.slow
def test_slurm_train_runs_one_task(tmp_path, synthetic_dsb):
    """The script's command line, run by the stub as Slurm's rank 0 of 1:
    tools/train.py reads the Slurm variables and trains with gloo."""
    if torch.cuda.is_available():
        pytest.skip('checks the CPU-only fallback')
    work_dir = tmp_path / 'work'
    options = [*demo_data_options(synthetic_dsb, semi=True),
               'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
               'default_hooks.checkpoint.interval=2']
    _, _, out = run_script(
        tmp_path, 'slurm_train.sh',
        ['cpu', 'ssmd', SSMD_CONFIG, work_dir, '--cfg-options', *options],
        run=True, GPUS='1', GPUS_PER_NODE='1', MASTER_PORT=free_port())
    assert 'Distributed launcher: slurm' in out
    assert "dist_cfg: {'backend': 'gloo'}" in out
    assert 'Iter(train) [2/2]' in out
    assert (work_dir / 'iter_2.pth').exists()


def test_slurm_launcher_in_process(tmp_path, synthetic_dsb, monkeypatch):
    """A 1-task 'slurm' run with the variables set by hand: rank, world
    size, local rank and master come from SLURM_*; two iterations."""
    if torch.cuda.is_available():
        pytest.skip('checks the CPU-only fallback')
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('MASTER_PORT', free_port())
    monkeypatch.setenv('SLURM_PROCID', '0')
    monkeypatch.setenv('SLURM_NTASKS', '1')
    monkeypatch.setenv('SLURM_LOCALID', '0')
    monkeypatch.setenv('SLURM_NODELIST', 'localhost')
    seen = {}
    from mmssmd.utils import dist
    original = dist.slurm_to_torch_env

    def record():
        original()
        seen.update({k: os.environ[k] for k in (
            'RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR')})
    monkeypatch.setattr(dist, 'slurm_to_torch_env', record)
    log = train_in_process(SSMD_CONFIG, tmp_path / 'work', [
        *demo_data_options(synthetic_dsb, semi=True),
        'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2', '--launcher', 'slurm'])
    assert seen == dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                        MASTER_ADDR='localhost')
    assert 'Distributed launcher: slurm' in log
    assert "dist_cfg: {'backend': 'gloo'}" in log
    assert 'Iter(train) [2/2]' in log
    assert not torch.distributed.is_initialized()


def test_slurm_env_errors(monkeypatch):
    from mmssmd.utils.dist import first_slurm_host, slurm_to_torch_env
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    with pytest.raises(RuntimeError, match='SLURM_PROCID'):
        slurm_to_torch_env()
    assert first_slurm_host('node-7') == 'node-7'
    monkeypatch.setenv('PATH', '/nonexistent')
    with pytest.raises(RuntimeError, match='set MASTER_ADDR'):
        first_slurm_host('node[1-4]')

