# Installing and packaging (issue 12): filled in by the packaging work.
