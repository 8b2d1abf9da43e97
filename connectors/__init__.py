"""Calendar backends behind one small interface; nothing here imports `service`."""
