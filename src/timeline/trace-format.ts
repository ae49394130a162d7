/**
 * The exported trace's format name and version, apart from its parser (trace-file.ts), so the
 * dashboard can write one without loading what reads and replays it. Version 3: reports that
 * carry what a replay needs (starts, timer ordinals, received messages); 1 and 2 did not.
 */
export const TRACE_FORMAT = 'consensus-playground-trace';
export const TRACE_VERSION = 3;
