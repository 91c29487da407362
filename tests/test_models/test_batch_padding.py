"""The detectors pad 'sup' and 'unsup' batches of different sizes
right/bottom with zeros into one batch (mmengine's stack_batch)."""
import pytest
import torch

import mmssmd  # noqa: F401

import test_csd  # noqa: E402 (same folder)
import test_focalmix  # noqa: E402
import test_ssmd  # noqa: E402


class Stop(Exception):
    pass


# detector builder, batch builder, and the first method that receives
# the padded batch as its first argument
CASES = {
    'CSD': (test_csd.tiny_csd, test_csd.batch, 'two_view_outputs'),
    'SSMD': (test_ssmd.build_ssmd, test_ssmd.batch, 'teacher_inputs'),
    'FocalMix':
    (test_focalmix.build_focalmix, test_focalmix.batch, 'mix_objects'),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_sup_and_unsup_batches_are_padded_right_bottom(name, monkeypatch):
    build, make_batch, method = CASES[name]
    model = build()
    inputs, samples = make_batch()
    sup = torch.rand(2, 3, 64, 96) + 1  # > 0 everywhere
    unsup = torch.rand(2, 3, 96, 64) + 1
    inputs = {'sup': sup, 'unsup': unsup}
    seen = []

    def spy(x, *args, **kwargs):
        seen.append(x)
        raise Stop

    monkeypatch.setattr(model, method, spy)
    with pytest.raises(Stop):
        model.loss(inputs, samples)
    padded = seen[0]
    assert padded.shape == (4, 3, 96, 96)
    assert torch.equal(padded[:2, :, :64, :96], sup)
    assert torch.equal(padded[2:, :, :96, :64], unsup)
    assert (padded[:2, :, 64:] == 0).all()
    assert (padded[2:, :, :, 64:] == 0).all()
