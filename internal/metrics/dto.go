package metrics

import dto "github.com/prometheus/client_model/go"

// dtoFamily is a parsed metric family.
type dtoFamily = dto.MetricFamily
