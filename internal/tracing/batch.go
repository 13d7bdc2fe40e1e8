package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Batch is the span of one call of a batcher's function. A nil *Batch is
// no span.
type Batch struct {
	span trace.Span
}

// StartBatch starts the span of a batch call, "batch NAME", over items,
// whose contexts ctxOf returns: it links the span of every item that has
// one, and is the child of the first item's span that is sampled (so the
// batch is in that request's trace, and sampled with it). It returns base
// carrying the span, for the batch function's own calls. If no item's span
// is sampled (tracing off, or every item left out by head sampling), it
// returns base and nil: no span, and nothing allocated.
func StartBatch[T any](base context.Context, name, key string, items []T, ctxOf func(T) context.Context) (context.Context, *Batch) {
	var parent trace.Span
	for _, it := range items {
		if s := trace.SpanFromContext(ctxOf(it)); s.IsRecording() {
			parent = s
			break
		}
	}
	if parent == nil {
		return base, nil
	}
	links := make([]trace.Link, 0, len(items))
	for _, it := range items {
		if sc := trace.SpanContextFromContext(ctxOf(it)); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	tr := parent.TracerProvider().Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	ctx, span := tr.Start(trace.ContextWithSpan(base, parent), "batch "+name,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithLinks(links...),
		trace.WithAttributes(BatchSizeKey.Int(len(items)), BatchKeyKey.String(key)))
	return ctx, &Batch{span: span}
}

// End ends the batch's span; err, the batch's failure (an error, a panic,
// a wrong count of results), marks it as an error.
func (b *Batch) End(err error) {
	if b == nil {
		return
	}
	if err != nil {
		b.span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		b.span.SetStatus(codes.Error, err.Error())
	}
	b.span.End()
}

// errorType names err's type for error.type, as the semantic conventions
// suggest when nothing better is known.
func errorType(err error) string { return fmt.Sprintf("%T", err) }
