"""tools/analysis/benchmark_train_step.py on the demo detectors (smoke
run: one round, tiny images, no timing asserted)."""
from pathlib import Path

import pytest

from conftest import load_tool, tool_main

DEMO = 'configs/demo/{}_{}_r18_synth_2.5pct.py'


@pytest.mark.parametrize('detector', ['ssd', 'faster-rcnn', 'mask-rcnn'])
def test_runs_for_each_detector(detector, capsys):
    result = tool_main('analysis/benchmark_train_step.py', [
        '--config-sup', DEMO.format('supervised', detector),
        '--config-ssmd', DEMO.format('ssmd', detector),
        '--size', 64, '--batch', 1, '--rounds', 1, '--warmup', 0,
        '--no-memory'])
    times = result['times_s']
    assert all(times[k] > 0 for k in ('sup_B', 'sup_2B', 'ssmd', 'ssmd_iap'))
    assert set(result['ratios']) >= {
        'ssmd time per step (B+B vs B)', 'ssmd time per image (B+B vs 2B)',
        'ssmd_iap time per image (B+B vs 2B)', 'inference exported / plain'}
    # the teacher is the plain detector; the export predicts as the student
    assert times['teacher_params'] == times['plain_params']
    assert times['export_max_abs_diff'] == 0
    assert times['teacher_adam_states'] == 0


def test_detector_option_names_the_table10_configs():
    tool = load_tool('analysis/benchmark_train_step.py')
    root = Path(__file__).parents[2]
    for name, (sup, ssmd) in tool.DETECTORS.items():
        assert (root / sup).is_file() and (root / ssmd).is_file(), name
        assert 'supervised' in sup and 'ssmd' in ssmd
    args = tool.parse_args(['--detector', 'all'])
    assert args.detector == 'all'
