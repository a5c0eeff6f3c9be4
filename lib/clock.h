/*
 * clock.h - a monotonic nanosecond clock for stage timings and benchmarks.
 */
#ifndef GLOSS_CLOCK_H
#define GLOSS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t gloss__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
