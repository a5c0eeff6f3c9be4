/*
 * control.c - the control socket (ping, stats, reload, drain), and the
 * reload and drain that SIGHUP and SIGTERM also trigger.
 *
 * Reload checks the new configuration completely (every script loaded,
 * every stage's init() run) before anything changes. Only then does a new
 * generation of workers start; the old workers are told to stop, finish the
 * jobs they hold and exit. No job is taken from a worker, so none is lost
 * or run twice; queued jobs simply go to the new generation.
 *
 * Drain stops taking documents, lets everything in flight finish and be
 * published, stops the workers, and ends the loop; glossd then exits 0.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "pipeline.h"
#include "supervisor.h"
#include "wire.h"

int gloss__sup_reload(gloss__sup *sup, char *err, size_t errlen)
{
    if (sup->draining) {
        snprintf(err, errlen, "the daemon is draining");
        return -1;
    }
    gloss__config *cfg = gloss__config_load(sup->config_path, err, errlen);
    if (!cfg) {
        sup->stats.reload_failures++;
        return -1;
    }
    char why[2048];
    gloss__pipeline *p = gloss__pipeline_new(cfg, why, sizeof why);
    if (!p) {
        snprintf(err, errlen, "%s: %s", cfg->path, why);
        gloss__config_destroy(&cfg);
        sup->stats.reload_failures++;
        return -1;
    }
    gloss__pipeline_destroy(&p);

    gloss__generation *g = calloc(1, sizeof(*g));
    if (!g) {
        gloss__config_destroy(&cfg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unsigned old = sup->generations->number;
    g->number = old + 1;
    g->cfg = cfg;
    g->next = sup->generations;
    sup->generations = g;
    /* Limits apply at once; endpoints and the worker count need a restart,
     * since the sockets are bound and clients are connected. */
    const gloss__daemon_conf *d = &cfg->daemon;
    sup->adm_submit.max_document_size = d->max_document_size;
    sup->adm_feed.max_document_size = d->max_document_size;

    if (gloss__workers_spawn(sup, g->number, err, errlen) < 0) {
        sup->stats.reload_failures++;
        return -1;
    }
    for (gloss__generation *o = g->next; o; o = o->next)
        gloss__workers_stop_generation(sup, o->number);
    sup->stats.reloads++;
    gloss__sup_update_input(sup);
    fprintf(stderr, "glossd: reloaded %s as generation %u\n", cfg->path,
            g->number);
    return 0;
}

void gloss__sup_drain(gloss__sup *sup)
{
    if (sup->draining)
        return;
    sup->draining = 1;
    fprintf(stderr, "glossd: draining: %zu document%s in flight\n",
            sup->inflight_docs, sup->inflight_docs == 1 ? "" : "s");
    gloss__sup_update_input(sup);
    gloss__sup_maybe_finish(sup);
}

static json_t *stats_json(gloss__sup *sup)
{
    const gloss__sup_stats *s = &sup->stats;
    json_t *rejected = json_object();
    for (int r = 1; r < 16; r++)
        if (s->rejected[r])
            json_object_set_new(rejected, gloss__reject_code((gloss__reject)r),
                                json_integer((json_int_t)s->rejected[r]));
    json_t *stages = json_object();
    for (size_t i = 0; i < sup->n_stages; i++) {
        const gloss__stage_metrics *m = &sup->stages[i];
        json_object_set_new(
            stages, m->name,
            json_pack("{s:I, s:I, s:f, s:f}", "documents", (json_int_t)m->docs,
                      "errors", (json_int_t)m->errors, "mean_us",
                      m->docs ? (double)m->ns_total / (double)m->docs / 1e3 : 0.0,
                      "max_us", (double)m->ns_max / 1e3));
    }
    json_t *workers = json_array();
    static const char *const states[] = {"starting", "configuring", "ready",
                                         "stopping"};
    for (gloss__worker *w = sup->workers; w; w = w->next)
        json_array_append_new(
            workers, json_pack("{s:s, s:i, s:s, s:I, s:i, s:I, s:i, s:f, s:I}", "id",
                               w->identity, "generation", (int)w->generation,
                               "state", states[w->state], "pid",
                               (json_int_t)w->proc.pid, "credit", (int)w->credit,
                               "jobs", (json_int_t)w->jobs.n, "limit",
                               (int)gloss__sup_hold_limit(sup, w), "doc_us",
                               (double)w->doc_ns / 1e3, "documents",
                               (json_int_t)w->documents));
    return json_pack(
        "{s:b, s:i, s:i, s:b, s:{s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}}, "
        "s:{s:I, s:I, s:I}, s:o, s:o}",
        "ok", 1, "pid", (int)getpid(), "generation",
        (int)sup->generations->number, "draining", sup->draining,
        "counters",
        "received", (json_int_t)s->received,
        "accepted", (json_int_t)s->accepted,
        "duplicates", (json_int_t)s->duplicates,
        "rejected", rejected,
        "processed", (json_int_t)s->processed,
        "dropped", (json_int_t)s->dropped,
        "failed", (json_int_t)s->failed,
        "published", (json_int_t)s->published,
        "publish_errors", (json_int_t)s->publish_errors,
        "publish_overflows", (json_int_t)s->publish_overflows,
        "worker_starts", (json_int_t)s->worker_starts,
        "worker_deaths", (json_int_t)s->worker_deaths,
        "deadline_kills", (json_int_t)s->deadline_kills,
        "retried", (json_int_t)s->retried,
        "reloads", (json_int_t)s->reloads,
        "reload_failures", (json_int_t)s->reload_failures,
        "input_paused", (json_int_t)s->paused,
        "batches",
        "jobs_shared", (json_int_t)s->jobs_shared,
        "jobs_socket", (json_int_t)s->jobs_socket,
        "results_shared", (json_int_t)s->results_shared,
        "results_socket", (json_int_t)s->results_socket,
        "wakes_to_workers", (json_int_t)s->wakes_to_workers,
        "wakes_from_workers", (json_int_t)s->wakes_from_workers,
        "inflight",
        "documents", (json_int_t)sup->inflight_docs,
        "bytes", (json_int_t)sup->inflight_bytes,
        "queued", (json_int_t)sup->queue.n,
        "stages", stages,
        "workers", workers);
}

static json_t *bad_command(const char *msg)
{
    return json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "bad_command",
                     "message", msg);
}

static json_t *handle(gloss__sup *sup, const char *payload, size_t len,
                      int *drain_after)
{
    json_error_t e;
    json_t *req = json_loadb(payload, len, 0, &e);
    if (!json_is_object(req)) {
        json_decref(req);
        return bad_command("expected a JSON object such as {\"cmd\":\"ping\"}");
    }
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    json_t *out;
    if (!cmd) {
        out = bad_command("missing \"cmd\" (ping, stats, reload or drain)");
    } else if (strcmp(cmd, "ping") == 0) {
        out = json_pack("{s:b, s:b, s:i, s:s, s:i}", "ok", 1, "pong", 1, "pid",
                        (int)getpid(), "version", PACKAGE_VERSION, "generation",
                        (int)sup->generations->number);
    } else if (strcmp(cmd, "stats") == 0) {
        out = stats_json(sup);
    } else if (strcmp(cmd, "reload") == 0) {
        char err[2048];
        if (gloss__sup_reload(sup, err, sizeof err) == 0)
            out = json_pack("{s:b, s:i}", "ok", 1, "generation",
                            (int)sup->generations->number);
        else
            out = json_pack("{s:b, s:s, s:s}", "ok", 0, "error", "config",
                            "message", err);
    } else if (strcmp(cmd, "drain") == 0) {
        out = json_pack("{s:b, s:b, s:I}", "ok", 1, "draining", 1, "inflight",
                        (json_int_t)sup->inflight_docs);
        *drain_after = 1;
    } else {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "unknown command '%.64s' (ping, stats, reload or drain)", cmd);
        out = bad_command(msg);
    }
    json_decref(req);
    return out;
}

void gloss__control_on_message(gloss__zwatch *w, int revents, void *arg)
{
    gloss__sup *sup = arg;
    (void)w;
    if (revents & ZMQ_POLLERR)
        return;
    for (int i = 0; i < 16; i++) {
        gloss__wire_msg m;
        if (gloss__wire_recv(sup->control, &m, ZMQ_DONTWAIT) < 0) {
            if (errno == EPROTO)
                continue;
            break;
        }
        int drain_after = 0;
        json_t *out;
        if (m.nframes != 3 || m.len[1] != 0)
            out = bad_command("expected an empty delimiter frame and one "
                              "command frame");
        else
            out = handle(sup, m.frame[2], m.len[2], &drain_after);
        gloss__sup_reply(sup->control, m.frame[0], m.len[0], out);
        gloss__wire_msg_close(&m);
        /* The reply goes out before the drain can close the socket. */
        if (drain_after) {
            gloss__sup_drain(sup);
            return;
        }
    }
}
