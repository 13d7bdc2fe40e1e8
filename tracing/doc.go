// Package tracing exports a troupe server's OpenTelemetry traces over OTLP,
// as a configuration file's `tracing:` section says:
//
//	tracing:
//	  enabled: true
//	  exporter: otlp-http          # otlp-http (port 4318) | otlp-grpc (port 4317)
//	  endpoint: http://collector:4318   # a URL, or host:port; default: the OTEL_EXPORTER_OTLP_* variables
//	  insecure: false              # with host:port: plaintext, no TLS
//	  headers: {x-api-key: "…"}   # sent with every export
//	  sample_ratio: 0.01           # head sampling: ParentBased(TraceIDRatioBased(0.01));
//	                               # default: OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, else every trace
//	  service_name: checkout       # default: OTEL_SERVICE_NAME, else "troupe"
//	  trace_response: false        # true: answers carry traceresponse (troupe.WithTraceResponse)
//
// What the file leaves out, the standard OTEL_* environment variables
// give: the OTLP exporters read OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_TIMEOUT and the rest themselves, the SDK reads
// OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_* and
// OTEL_RESOURCE_ATTRIBUTES. What the file says wins over them.
// OTEL_SDK_DISABLED=true turns tracing off whatever the file says.
//
// A Provider is a trace.TracerProvider and a troupe.Component: the app
// starts it before its other components and stops it after them, flushing
// the spans still buffered. Give it to the app with troupe.WithTracerProvider
// (config.Config.Build does). A Go program that builds its own SDK
// TracerProvider passes that instead, and needs nothing here.
package tracing
