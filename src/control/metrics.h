/* metrics.h — Prometheus metrics at /metrics on the HTTP listener (http.h):
 * the text exposition format 0.0.4, one snapshot of the datapath per
 * scrape (one control_datapath_call(): the copy is made between batches,
 * the text is written here on the control thread). docs/metrics.md lists
 * every family. */
#ifndef VSWITCH_METRICS_H
#define VSWITCH_METRICS_H

#include <stdio.h>

#include "config.h"
#include "execute.h"
#include "http.h"

/* Answers /metrics: 200 with the text, or 500 if out of memory. */
void metrics_serve(struct control_state *state, const struct http_request *req,
		   struct http_response *resp);

/* Writes the exposition of a datapath, its SEAs (may be NULL) and the IPFIX
 * exporters of `running` (may be NULL) to out, as metrics_serve() does
 * after its copy: for unit tests, which own dp. */
void metrics_write(struct datapath *dp, struct sea_set *seas, const struct config *running,
		   FILE *out);

#endif
