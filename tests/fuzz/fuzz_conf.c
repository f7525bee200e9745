/*
 * libFuzzer target for the configuration reader: any text must parse or
 * fail with a report, never crash, leak or read out of bounds. Inputs that
 * would include other files are skipped to keep runs hermetic.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int accept_line(void *arg, const conf_line_t *line, str_t **err)
{
    (void)arg;
    /* Fail on one directive so the error path is exercised too. */
    if (line->argc > 0 && strcmp(line->argv[0].ptr, "fail") == 0) {
        *err = str_new_cstr("told to fail");
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = alloc_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    if (strstr(text, "nclude") == NULL && strstr(text, "NCLUDE") == NULL) {
        str_t *err = NULL;
        if (conf_parse_text(text, "fuzz.conf", accept_line, NULL, &err) != 0)
            str_free(err);
    }
    alloc_free(text);
    return 0;
}
