package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/trustjob/trustjob/internal/config"
)

// discover lists the enterprise's ACTIVE accounts as targets.
func (a *app) discover(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]config.Target, error) {
	return nil, errors.New("enterprise discovery is not built yet")
}
