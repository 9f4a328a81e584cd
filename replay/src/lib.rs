//! Lantern's replay: rebuild request chains from the log, verify today's
//! Refiner against logged decisions, and export training datasets.
