/* SPDX-License-Identifier: Apache-2.0 */
/* How fast the CoAP codec parses and builds a typical LwM2M Register, on one
 * core. A program that prints figures, not a test (DESIGN.md: a test never
 * fails because the machine is slow); results go in docs/BENCHMARKS.md.
 *
 * Three loops over the same 8-byte-token CON POST /rd?ep=..&lt=..&lwm2m=..&b=U
 * with a link-format payload: "parse" is tether_coap_parse() alone; "parse +
 * read" adds what a server does with a Register (path check, Content-Format,
 * four query look-ups); "build" writes the whole message with the builder.
 * Each loop is timed with CLOCK_MONOTONIC over several runs of a calibrated
 * iteration count, and the median is printed with the spread. The message id
 * changes every iteration and every result feeds a volatile sink, so the
 * compiler can neither hoist the work out of the loop nor drop it, even with
 * link-time optimisation. The process pins itself to the CPU it starts on.
 *
 * Usage: coap_bench [runs (default 11)] [milliseconds per run (default 200)] */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tether/coap.h"

#define EP "urn:imei:490154203237518"
#define LINKS "</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</3303/0>"
#define MAX_RUNS 101

static const uint8_t token[8] = {0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18};
static uint8_t wire[256];
static size_t wire_len;
static volatile uint64_t bench_sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t build_register(uint8_t *out, size_t cap, uint16_t mid)
{
    tether_coap_builder b;
    size_t len = 0;

    tether_coap_build_init(&b, out, cap, TETHER_COAP_CON, TETHER_COAP_POST, mid, token, 8);
    tether_coap_build_path(&b, TETHER_COAP_OPT_URI_PATH, "rd");
    tether_coap_build_opt_uint(&b, TETHER_COAP_OPT_CONTENT_FORMAT, TETHER_FMT_LINK);
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "ep=" EP);
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "lt=86400");
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "lwm2m=1.0");
    tether_coap_build_opt_str(&b, TETHER_COAP_OPT_URI_QUERY, "b=U");
    tether_coap_build_payload(&b, LINKS, sizeof(LINKS) - 1);
    if (tether_coap_build_finish(&b, &len) != 0)
        return 0;
    return len;
}

/* --- the three loops; each returns a checksum of its results ------------- */

static uint64_t loop_parse(uint64_t iters)
{
    uint64_t acc = 0;
    tether_coap_msg m;

    for (uint64_t i = 0; i < iters; i++) {
        wire[3] = (uint8_t)i; /* a new message id each time */
        if (tether_coap_parse(&m, wire, wire_len) != 0)
            return 0;
        acc += m.mid + m.opts_len + m.payload_len;
    }
    return acc;
}

static uint64_t loop_parse_read(uint64_t iters)
{
    static const char *keys[] = {"ep", "lt", "lwm2m", "b"};
    uint64_t acc = 0;
    tether_coap_msg m;

    for (uint64_t i = 0; i < iters; i++) {
        const uint8_t *v;
        size_t vlen;
        uint32_t ct;

        wire[3] = (uint8_t)i;
        if (tether_coap_parse(&m, wire, wire_len) != 0 || !tether_coap_path_equals(&m, "rd") ||
            tether_coap_content_format(&m, &ct) != 0)
            return 0;
        acc += m.mid + ct;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (tether_coap_query_find(&m, keys[k], &v, &vlen) != 0)
                return 0;
            acc += vlen + v[0];
        }
    }
    return acc;
}

static uint64_t loop_build(uint64_t iters)
{
    static uint8_t out[256];
    uint64_t acc = 0;

    for (uint64_t i = 0; i < iters; i++) {
        size_t len = build_register(out, sizeof(out), (uint16_t)i);
        if (len == 0)
            return 0;
        acc += len + out[3] + out[len - 1];
    }
    return acc;
}

/* --- timing -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time fn: calibrate an iteration count that takes about ms milliseconds,
 * warm up once, then measure runs times. Prints median [min .. max]. */
static void bench(const char *name, uint64_t (*fn)(uint64_t), int runs, double ms)
{
    double rate[MAX_RUNS], t;
    uint64_t iters = 1000, sum;

    for (;;) {
        t = now_s();
        sum = fn(iters);
        t = now_s() - t;
        if (sum == 0) {
            fprintf(stderr, "coap_bench: %s failed: the codec refused its own message\n", name);
            exit(1);
        }
        bench_sink += sum;
        if (t >= 0.02)
            break;
        iters *= 4;
    }
    iters = (uint64_t)((double)iters * (ms / 1000.0) / t) + 1;
    bench_sink += fn(iters); /* warm-up at full length */

    for (int r = 0; r < runs; r++) {
        t = now_s();
        bench_sink += fn(iters);
        t = now_s() - t;
        rate[r] = (double)iters / t;
    }
    qsort(rate, (size_t)runs, sizeof(rate[0]), cmp_double);
    printf("%-12s %8.2f M msg/s  %7.1f ns/msg   [%.2f .. %.2f M msg/s]  %llu msgs/run\n", name,
           rate[runs / 2] / 1e6, 1e9 / rate[runs / 2], rate[0] / 1e6, rate[runs - 1] / 1e6,
           (unsigned long long)iters);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 11;
    double ms = argc > 2 ? atof(argv[2]) : 200.0;
    int cpu = sched_getcpu();

    if (runs < 1 || runs > MAX_RUNS || ms <= 0) {
        fprintf(stderr, "usage: coap_bench [runs 1..%d] [ms per run]\n", MAX_RUNS);
        return 2;
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            cpu = -1;
    }
    wire_len = build_register(wire, sizeof(wire), 0);
    if (wire_len == 0) {
        fprintf(stderr, "coap_bench: cannot build the Register message\n");
        return 1;
    }

    printf("coap_bench: LwM2M Register, CON POST /rd?ep=" EP "&lt=86400&lwm2m=1.0&b=U,\n"
           "  8-byte token, Content-Format 40, payload " LINKS " (%zu bytes);\n"
           "  message %zu bytes. %d runs of ~%.0f ms each, median [min .. max], one thread",
           sizeof(LINKS) - 1, wire_len, runs, ms);
    if (cpu >= 0)
        printf(" pinned to CPU %d", cpu);
    printf(".\n");
    bench("parse", loop_parse, runs, ms);
    bench("parse+read", loop_parse_read, runs, ms);
    bench("build", loop_build, runs, ms);
    return 0;
}
