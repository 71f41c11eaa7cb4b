# DONNA on the demo: the stock mmpretrain MobileNetV2 of
# mobilenetv2_digits_teacher.py (unchanged) plus one `donna` section; from
# nothing (the teacher is trained into <work_dir>/teacher first):
#   python tools/search.py configs/classification/mobilenetv2_digits_search.py
# BKD, library, LUT, KD filter, exact front, hardware in the loop, export and
# finetuning are derived from it (mmdonna/stages/derive.py: DEFAULTS).
_base_ = ['./mobilenetv2_digits_teacher.py']

donna = dict(
    # stock MobileNetV2 names its stages layer1..layer7; layer4/5 end with a
    # linear projection, so their set has ResNet blocks without a final ReLU
    blocks=[
        dict(path='backbone.layer2', options='mbconv'),
        dict(path='backbone.layer3', options='mbconv'),
        dict(path='backbone.layer4', options='diverse_linear_out'),
        dict(path='backbone.layer5', options='diverse_linear_out'),
        dict(path='backbone.layer6', options='mbconv'),
    ],
    input_shape=(3, 32, 32),
    # 4 options per block and step: each trains on ~a third of the steps at
    # about the cost of a teacher step; Adam at 3e-2: 40 updates per option
    # reach held-out NSR ~0.35 versus ~0.65 at 2e-3 (layer3 of this teacher)
    bkd=dict(epochs=8, lr=3e-2, num_sampled=4),
    # KD finetuning of the middle of the front from its BKD weights: 3 epochs
    # (BKD initialisation reaches the teacher in about 2, see
    # benchmarks/finetune_speedup.py); the teacher's AdamW, cosine decay
    finetune=dict(epochs=3),
)
