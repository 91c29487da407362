from .ct_visualization_hook import CTWindowVisualizationHook, ct_window

__all__ = ['CTWindowVisualizationHook', 'ct_window']
