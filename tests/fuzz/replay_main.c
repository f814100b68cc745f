/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a libFuzzer target over every file of a corpus directory without
 * libFuzzer, so each build (gcc included) replays the seeds as a test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int files = 0;

    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (d == NULL) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            static uint8_t buf[1 << 20];
            FILE *f;
            size_t n;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            f = fopen(path, "rb");
            if (f == NULL)
                continue;
            n = fread(buf, 1, sizeof(buf), f);
            fclose(f);
            /* An exact-size heap copy lets ASan catch a read one past the end. */
            uint8_t *copy = malloc(n ? n : 1);
            for (size_t k = 0; k < n; k++)
                copy[k] = buf[k];
            LLVMFuzzerTestOneInput(copy, n);
            free(copy);
            files++;
        }
        closedir(d);
    }
    printf("replayed %d inputs\n", files);
    return files > 0 ? 0 : 1;
}
