package httpapi

import "time"

// SetFeedTiming shortens the revocation feed's heartbeat and shrinks its
// subscriber buffer, so tests see heartbeats and lags without waiting.
func SetFeedTiming(s *Server, heartbeat time.Duration, buffer int) {
	s.feedBeat, s.feedBuf = heartbeat, buffer
}

// FeedResumes is how many lagged feed subscribers were resumed.
func FeedResumes(s *Server) int64 { return s.feedResumes.Load() }
