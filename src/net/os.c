/* SPDX-License-Identifier: Apache-2.0 */
/* Monotonic milliseconds and getrandom(2)-backed randomness for apps and
 * adapters on Linux (tether/os.h). Engines get both as arguments; this is
 * the one place a POSIX host produces them. */
#include "tether/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

tether_time tether_os_now_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (tether_time)ts.tv_sec * 1000u + (tether_time)ts.tv_nsec / 1000000u;
}

/* Last resort when neither getrandom nor /dev/urandom answers (a seccomp
 * jail, an empty /dev): splitmix64 seeded from both clocks and the pid,
 * enough for message ids and tokens to differ between runs. */
static void weak_fill(uint8_t *p, size_t len)
{
    static uint64_t state;
    struct timespec a, b;

    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &b);
    state ^= (uint64_t)a.tv_nsec ^ ((uint64_t)b.tv_sec << 20) ^ (uint64_t)b.tv_nsec ^
             ((uint64_t)getpid() << 40);
    while (len > 0) {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        size_t n = len < sizeof(z) ? len : sizeof(z);
        memcpy(p, &z, n);
        p += n;
        len -= n;
    }
}

static size_t urandom_fill(uint8_t *p, size_t len)
{
    size_t done = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    return done;
}

void tether_os_random(void *user, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;

    (void)user;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done < len)
        done += urandom_fill(p + done, len - done);
    if (done < len)
        weak_fill(p + done, len - done);
}
