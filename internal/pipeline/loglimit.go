package pipeline

// causeLinesPerSecond bounds the lines each hop logs a second ("request
// failed", "stage panicked"): a failing dependency under load fails every
// request, and a line (with its stack) for each would cost more than the
// requests themselves.
const causeLinesPerSecond = 10
