package jobs

import (
	"encoding/json"
	"time"
)

// jobJSON is a job as the HTTP API shows it.
type jobJSON struct {
	ID             int64           `json:"id"`
	Queue          string          `json:"queue"`
	State          string          `json:"state"`
	Priority       int             `json:"priority"`
	Attempt        int             `json:"attempt"`
	MaxAttempts    int             `json:"max_attempts"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	RunAt          time.Time       `json:"run_at"`
	Deadline       *time.Time      `json:"deadline,omitempty"`
	LeaseUntil     *time.Time      `json:"lease_until,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	ResultText     *string         `json:"result_text,omitempty"`
	Errors         []AttemptError  `json:"errors,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// MarshalJSON renders the job as the HTTP API shows it: its state by
// name, its result as JSON if it is JSON (result) or else as text
// (result_text), its failed attempts' errors; not its payload.
func (j Job) MarshalJSON() ([]byte, error) {
	v := jobJSON{ID: j.ID, Queue: j.Queue, State: j.State.String(), Priority: j.Priority, Attempt: j.Attempt,
		MaxAttempts: j.MaxAttempts, IdempotencyKey: j.IdempotencyKey, RunAt: j.RunAt, Errors: j.Errors,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt}
	if !j.Deadline.IsZero() {
		v.Deadline = &j.Deadline
	}
	if j.State == Running {
		v.LeaseUntil = &j.LeaseUntil
	}
	if len(j.Result) > 0 {
		if json.Valid(j.Result) {
			v.Result = j.Result
		} else {
			s := string(j.Result)
			v.ResultText = &s
		}
	}
	return json.Marshal(v)
}
