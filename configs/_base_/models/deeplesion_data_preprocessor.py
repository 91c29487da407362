# The DeepLesion input normalisation, in one place for every DeepLesion model
# base. The slice loader maps the HU window [-1100, 1100] onto [0, 255];
# this preprocessor computes (x - mean) / std per channel, which with
#   mean = 127.5 * (1 + m),  std = 127.5 * s
# equals the paper's "scale to [-1, 1], then normalise with the training-set
# mean m and standard deviation s" (of the [-1, 1] images). m = 0, s = 1
# below is the plain [-1, 1] scaling; tools/misc/deeplesion_mean_std.py
# computes m and s on the train split and prints the mean / std to put here.
# No BGR -> RGB swap: the channels are the slices [-2 mm, key, +2 mm].
deeplesion_data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=False,
    pad_size_divisor=32)
