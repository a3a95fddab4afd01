// Package password hashes and verifies user passwords with argon2id, storing
// them as self-describing PHC strings so parameters can be raised later without
// a migration. Its Hasher bounds how many of these deliberately memory-hungry
// computations run at once, so a burst of logins degrades into fast ErrBusy
// rejections instead of exhausting the server's memory.
package password
