package breakerlease

// WaitIdle waits for the renewal in flight, if any: tests look at the
// owner's state once the member's background calls have ended.
func (m *Member) WaitIdle() {
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	if done != nil {
		<-done
	}
}
