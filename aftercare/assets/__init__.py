"""Asset register: each firm's equipment and systems, with QR labels for reporting problems."""
