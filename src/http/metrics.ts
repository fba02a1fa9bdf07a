/**
 * Prometheus metrics (http.md "Operations") through prom-client: events in, entries,
 * transitions, sends by outcome, outbox depth, timers pending, and the event→send latency:
 * from the moment a send was produced (the triggering event's acceptance, or its timer firing)
 * to its delivery.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Effect } from '../core/types.js';
import type { DeliveryObserver } from '../destinations/dispatcher.js';

export class Metrics {
  readonly registry = new Registry();
  readonly eventsIn = new Counter({ name: 'journeys_events_in_total', help: 'Events accepted at intake, by type', labelNames: ['type'], registers: [this.registry] });
  readonly entries = new Counter({ name: 'journeys_entries_total', help: 'Journey instances started', labelNames: ['journey'], registers: [this.registry] });
  readonly transitions = new Counter({ name: 'journeys_transitions_total', help: 'Instance effects committed, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly sends = new Counter({ name: 'journeys_sends_total', help: 'Delivery attempts by outcome (delivered, retry, dead)', labelNames: ['destination', 'outcome'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'journeys_event_to_send_seconds',
    help: 'From a send being produced (event accepted or timer fired) to its delivery',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [this.registry],
  });

  constructor(sources: { outboxDepth: () => number; timersPending: () => number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'journeys_' });
    new Gauge({ name: 'journeys_outbox_depth', help: 'Sends waiting for delivery or a retry', registers: [this.registry], collect() { this.set(sources.outboxDepth()); } });
    new Gauge({ name: 'journeys_timers_pending', help: 'Timers in the due-time index', registers: [this.registry], collect() { this.set(sources.timersPending()); } });
  }

  readonly onEffect = (effect: Effect): void => {
    this.transitions.inc({ kind: effect.kind });
    if (effect.kind === 'enter') this.entries.inc({ journey: effect.journeyId });
  };

  readonly onDelivery: DeliveryObserver = ({ record, outcome }) => {
    this.sends.inc({ destination: record.destination, outcome });
    if (outcome === 'delivered') this.latency.observe(Math.max(0, Date.now() - record.createdAt) / 1000);
  };
}
