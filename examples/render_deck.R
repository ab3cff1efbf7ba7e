# Render the deck (examples/deck.R) as one self-contained HTML page with its code, printed
# outputs, log lines and figures inline. Each `chunk("title")` line of deck.R becomes a
# heading followed by a knitr chunk holding the code up to the next title; deck.R itself is
# not changed. Run by `bash scripts/deck --html` in examples/output/ (where the deck's data
# and model live); usage: Rscript render_deck.R [deck.R] [output.html]
args <- commandArgs(trailingOnly = TRUE)
deck <- if (length(args) >= 1) args[[1]] else file.path("..", "deck.R")
out <- if (length(args) >= 2) args[[2]] else "deck.html"
if (!file.exists(deck)) stop("render_deck.R: deck '", deck, "' does not exist", call. = FALSE)
for (pkg in c("knitr", "rmarkdown")) {
  if (!requireNamespace(pkg, quietly = TRUE)) {
    stop("render_deck.R: the R package '", pkg, "' is needed (Debian: r-cran-", pkg, ")",
         call. = FALSE)
  }
}
if (!rmarkdown::pandoc_available()) stop("render_deck.R: pandoc is needed", call. = FALSE)

# deck.R -> R Markdown: the code before the first title is the set-up section
deck_to_rmd <- function(lines) {
  title_re <- '^chunk\\("(.*)"\\)[[:space:]]*$'
  is_title <- grepl(title_re, lines)
  titles <- c("Set-up (mxnet-bridge)", sub(title_re, "\\1", lines[is_title]))
  section <- cumsum(is_title)
  body <- character(0)
  for (i in seq_along(titles)) {
    code <- lines[section == i - 1L & !is_title]
    while (length(code) && !nzchar(trimws(code[length(code)]))) code <- code[-length(code)]
    while (length(code) && !nzchar(trimws(code[1]))) code <- code[-1]
    body <- c(body, paste("##", titles[[i]]), "",
              sprintf("```{r deck-%02d}", i - 1L), code, "```", "")
  }
  header <- c(
    "---",
    "title: \"mxnet: the 2018 MXNet R deck, run with mxnet-bridge\"",
    sprintf("date: \"%s\"", format(Sys.time(), "%Y-%m-%d %H:%M")),
    "output:",
    "  html_document:",
    "    toc: true",
    "    self_contained: true",
    "    mathjax: null",
    "---",
    "",
    paste("The deck's R code (Tong He, July 2018) in order, run by `examples/deck.R`; the",
          "lines marked `mxnet-bridge` are the only changes to it, and the fine-tuning",
          "sections at the end are an addition. Outputs and figures below are from this run."),
    "",
    "```{r setup-render, include = FALSE}",
    "knitr::opts_chunk$set(comment = '', fig.width = 5, fig.height = 5)",
    "```",
    "")
  c(header, body)
}

rmd <- file.path(tempdir(), "deck.Rmd")
writeLines(deck_to_rmd(readLines(deck)), rmd)
# knit in the current directory, as scripts/deck runs deck.R; figures are embedded in the page
out_dir <- dirname(normalizePath(out, mustWork = FALSE))
rmarkdown::render(rmd, output_file = basename(out), output_dir = out_dir,
                  knit_root_dir = getwd(), intermediates_dir = tempdir(),
                  envir = new.env(parent = globalenv()), quiet = TRUE)
message("render_deck.R: wrote ", normalizePath(out))
