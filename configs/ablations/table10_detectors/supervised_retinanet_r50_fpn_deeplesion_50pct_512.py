# Table 10's reference (not in the paper): RetinaNet R50-FPN trained on the
# labeled 50% only, DeepLesion, 512x512: Fig. 4's leaf.
_base_ = '../../fig4_resolution/supervised_r50_deeplesion_50pct_512.py'
