"""Drawing widgets: they take plain data through ``update_*`` methods and never touch a model."""

from tui.widgets.canvas import DrawCanvas
from tui.widgets.fieldview import FieldView
from tui.widgets.images import ImageGrid, ImageItem
from tui.widgets.lossplot import AccuracyPlot, LossPlot
from tui.widgets.network import NetworkDiagram
from tui.widgets.weights import WeightsView

__all__ = ["AccuracyPlot", "DrawCanvas", "FieldView", "ImageGrid", "ImageItem", "LossPlot", "NetworkDiagram",
           "WeightsView"]
