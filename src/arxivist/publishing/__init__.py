"""Publishing: the published folder, the model card's data and text, `arxivist push-to-hub`."""
