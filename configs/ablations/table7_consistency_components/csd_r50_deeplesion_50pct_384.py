# DeepLesion, Table 7, CSD* (CSD with all five terms): one network sees the image and its mirror
# (the CSD cell of Table 1 at 50% labeled), 384x384.
_base_ = '../../fig4_resolution/csd_r50_deeplesion_50pct_384.py'
