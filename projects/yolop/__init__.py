"""YOLOP panoptic driving perception, searched with DONNA."""
