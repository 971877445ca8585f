package logging

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/IBM/go-sdk-core/v5/core"
)

// SDKLogger routes go-sdk-core's logger into slog. Lines go through the
// logger's handler, hence through the redaction layer. It is safe for
// concurrent use.
type SDKLogger struct {
	logger *slog.Logger
	level  atomic.Int32 // core.LogLevel
}

var _ core.Logger = (*SDKLogger)(nil)

// NewSDKLogger returns a core.Logger writing to logger at level (and above).
func NewSDKLogger(logger *slog.Logger, level core.LogLevel) *SDKLogger {
	l := &SDKLogger{logger: logger.With("component", "ibm-go-sdk-core")}
	l.level.Store(int32(level))
	return l
}

// BridgeSDK installs logger as go-sdk-core's process-wide logger at warn level:
// the SDK's info and debug output (request dumps) never reach the log.
func BridgeSDK(logger *slog.Logger) {
	core.SetLogger(NewSDKLogger(logger, core.LevelWarn))
}

// Log implements core.Logger.
func (l *SDKLogger) Log(level core.LogLevel, format string, inserts ...any) {
	if !l.IsLogLevelEnabled(level) {
		return
	}
	l.logger.Log(context.Background(), slogLevel(level), fmt.Sprintf(format, inserts...))
}

// Error implements core.Logger.
func (l *SDKLogger) Error(format string, inserts ...any) { l.Log(core.LevelError, format, inserts...) }

// Warn implements core.Logger.
func (l *SDKLogger) Warn(format string, inserts ...any) { l.Log(core.LevelWarn, format, inserts...) }

// Info implements core.Logger.
func (l *SDKLogger) Info(format string, inserts ...any) { l.Log(core.LevelInfo, format, inserts...) }

// Debug implements core.Logger.
func (l *SDKLogger) Debug(format string, inserts ...any) { l.Log(core.LevelDebug, format, inserts...) }

// SetLogLevel implements core.Logger.
func (l *SDKLogger) SetLogLevel(level core.LogLevel) { l.level.Store(int32(level)) }

// GetLogLevel implements core.Logger.
func (l *SDKLogger) GetLogLevel() core.LogLevel { return core.LogLevel(l.level.Load()) }

// IsLogLevelEnabled implements core.Logger.
func (l *SDKLogger) IsLogLevelEnabled(level core.LogLevel) bool {
	return level != core.LevelNone && level <= l.GetLogLevel()
}

func slogLevel(l core.LogLevel) slog.Level {
	switch l {
	case core.LevelError:
		return slog.LevelError
	case core.LevelWarn:
		return slog.LevelWarn
	case core.LevelInfo:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}
