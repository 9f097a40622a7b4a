//! Training the GPT-2 architecture on the CPU with hand-written backward passes (to be written).
