# Symbols: variables, operator nodes (the generated mx.symbol.<op> wrappers call
# .mx.symbol.invoke), grouping, arithmetic, the `$` members of the real package's MXSymbol,
# shape inference and files.

.mx.sym.path <- function(fn) paste0("rshim.training.", fn)

# A parameter value as MXNet R wrote it into the symbol: vectors (and anything whose name
# ends in "shape") are shapes, written reversed as "(a, b)"; single values as text.
.mx.param.string <- function(key, value, fname) {
  if (is.character(value) || is.factor(value)) {
    value <- as.character(value)
    if (length(value) != 1L) {
      stop(fname, ": parameter '", key, "' must be a single string", call. = FALSE)
    }
    return(value)
  }
  if (!is.numeric(value) && !is.logical(value)) {
    stop(fname, ": unsupported value of type ", typeof(value), " for parameter '", key,
         "'; expect integer, numeric, logical or character", call. = FALSE)
  }
  if (anyNA(value)) stop(fname, ": parameter '", key, "' is NA", call. = FALSE)
  num <- function(v) {
    if (is.logical(v)) return(if (v) "True" else "False")
    if (is.finite(v) && v == round(v) && abs(v) < 1e15) return(sprintf("%.0f", v))
    as.character(v)
  }
  if (length(value) != 1L || endsWith(key, "shape")) {
    parts <- vapply(rev(as.vector(value)), num, character(1))
    return(paste0("(", paste(parts, collapse = ", "), if (length(parts) == 1L) ",", ")"))
  }
  num(value)
}

.mx.all.symbols <- function(x) {
  is.list(x) && !is.object(x) && length(x) > 0L && all(vapply(x, is.mx.symbol, logical(1)))
}

# Create one operator node: `inputs` are the operator's input formals, `params` the other
# arguments (parameters, or further symbols given through `...`).
.mx.symbol.invoke <- function(op, fname, inputs, params, name = NULL) {
  positional <- list()
  named <- list()
  for (key in names(inputs)) {
    x <- inputs[[key]]
    if (is.null(x)) next
    if (is.mx.symbol(x)) {
      named[[key]] <- x
    } else if (.mx.all.symbols(x)) {
      positional <- c(positional, unname(x))
    } else {
      stop(fname, ": input '", key, "' must be an MXSymbol (or a list of them), got ",
           class(x)[1L], call. = FALSE)
    }
  }
  strs <- list()
  keys <- names(params)
  if (is.null(keys)) keys <- rep("", length(params))
  for (i in seq_along(params)) {
    x <- params[[i]]
    key <- keys[[i]]
    if (is.null(x)) next
    if (is.mx.symbol(x)) {
      if (nzchar(key)) named[[key]] <- x else positional <- c(positional, list(x))
      next
    }
    if (.mx.all.symbols(x)) {
      positional <- c(positional, unname(x))
      next
    }
    if (!nzchar(key)) {
      stop(fname, ": Non Symbol parameters is only accepted via key=value style.", call. = FALSE)
    }
    strs[[key]] <- .mx.param.string(key, x, fname)
  }
  if (!is.null(name) && (!is.character(name) || length(name) != 1L)) {
    stop(fname, ": name must be a single string", call. = FALSE)
  }
  .mx.py(fname, .mx.sym.path("symbol_create"), list(op, positional, named, strs, name))
}

mx.symbol.Variable <- function(name, attr = NULL) {
  if (!is.character(name) || length(name) != 1L || is.na(name)) {
    stop("mx.symbol.Variable: name must be a single string", call. = FALSE)
  }
  if (!is.null(attr) && (!is.list(attr) || is.null(names(attr)))) {
    stop("mx.symbol.Variable: attr must be a named list of strings", call. = FALSE)
  }
  .mx.py("mx.symbol.Variable", .mx.sym.path("symbol_variable"), list(name, attr))
}

mx.symbol.Group <- function(...) {
  syms <- list(...)
  if (length(syms) == 1L && is.list(syms[[1L]]) && !is.object(syms[[1L]])) syms <- syms[[1L]]
  if (!length(syms) || !all(vapply(syms, is.mx.symbol, logical(1)))) {
    stop("mx.symbol.Group: Group only accept MXSymbol as input", call. = FALSE)
  }
  .mx.py("mx.symbol.Group", .mx.sym.path("symbol_group"), list(unname(syms)))
}

.mx.symbol.concat <- function(data, num.args, dim, name, fname) {
  if (is.mx.symbol(data)) data <- list(data)
  if (!.mx.all.symbols(data)) {
    stop(fname, ": data must be a list of MXSymbol, e.g. c(sym1, sym2)", call. = FALSE)
  }
  if (is.null(num.args)) num.args <- length(data)
  params <- list(num_args = num.args)
  if (!is.null(dim)) params$dim <- dim
  .mx.symbol.invoke("Concat", fname, list(data = unname(data)), params, name)
}

mx.symbol.concat <- function(data, num.args, dim = NULL, name = NULL) {
  .mx.symbol.concat(data, if (missing(num.args)) NULL else num.args, dim, name,
                    "mx.symbol.concat")
}

mx.symbol.Concat <- function(data, num.args, dim = NULL, name = NULL) {
  warning("mx.symbol.Concat is deprecated. Use mx.symbol.concat instead.", call. = FALSE)
  .mx.symbol.concat(data, if (missing(num.args)) NULL else num.args, dim, name,
                    "mx.symbol.Concat")
}

mx.symbol.save <- function(symbol, filename) {
  .mx.sym.arg(symbol, "mx.symbol.save")
  if (!is.character(filename) || length(filename) != 1L) {
    stop("mx.symbol.save: filename must be a single string", call. = FALSE)
  }
  .mx.py("mx.symbol.save", .mx.sym.path("save_symbol"), list(symbol, path.expand(filename)))
  invisible(NULL)
}

mx.symbol.load <- function(filename) {
  if (!is.character(filename) || length(filename) != 1L) {
    stop("mx.symbol.load: filename must be a single string", call. = FALSE)
  }
  filename <- path.expand(filename)
  if (!file.exists(filename)) {
    stop("mx.symbol.load: cannot open file '", filename, "': no such file", call. = FALSE)
  }
  .mx.py("mx.symbol.load", "pybridge.symbol.load", list(filename))
}

mx.symbol.load.json <- function(str) {
  if (!is.character(str) || length(str) != 1L) {
    stop("mx.symbol.load.json: str must be a single string", call. = FALSE)
  }
  .mx.py("mx.symbol.load.json", "pybridge.symbol.load_json", list(str))
}

mx.symbol.infer.shape <- function(symbol, ...) {
  .mx.sym.arg(symbol, "mx.symbol.infer.shape")
  shapes <- list(...)
  if (length(shapes) && (is.null(names(shapes)) || !all(nzchar(names(shapes))))) {
    stop("mx.symbol.infer.shape: Need to pass parameters in key=value style.", call. = FALSE)
  }
  shapes <- lapply(shapes, function(s) as.list(as.numeric(s)))
  .mx.py("mx.symbol.infer.shape", .mx.sym.path("infer_shape"), list(symbol, shapes))
}

is.mx.symbol <- function(x) inherits(x, "MXSymbol")

is.MXSymbol <- is.mx.symbol

.mx.sym.arg <- function(x, fname) {
  if (!is.mx.symbol(x)) stop(fname, ": only for MXSymbol type", call. = FALSE)
  invisible(x)
}

arguments <- function(x) {
  .mx.sym.arg(x, "arguments")
  .mx.strings(.mx.method("arguments", x, "list_arguments"))
}

outputs <- function(x) {
  .mx.sym.arg(x, "outputs")
  .mx.strings(.mx.method("outputs", x, "list_outputs"))
}

internals <- function(x) {
  .mx.sym.arg(x, "internals")
  .mx.method("internals", x, "get_internals")
}

children <- function(x) {
  .mx.sym.arg(x, "children")
  .mx.py("children", .mx.sym.path("symbol_children"), list(x))
}

mx.apply <- function(x, ...) {
  .mx.sym.arg(x, "mx.apply")
  args <- list(...)
  keys <- names(args)
  if (is.null(keys)) keys <- rep("", length(args))
  name <- NULL
  if ("name" %in% keys) {
    name <- args[["name"]]
    args <- args[keys != "name"]
    keys <- keys[keys != "name"]
  }
  if (!all(vapply(args, is.mx.symbol, logical(1)))) {
    stop("mx.apply: inputs must be MXSymbol", call. = FALSE)
  }
  if (any(nzchar(keys)) && !all(nzchar(keys))) {
    stop("mx.apply: Input symbols need to be either positional or key=value style, not both",
         call. = FALSE)
  }
  positional <- if (all(nzchar(keys))) list() else unname(args)
  named <- if (length(args) && all(nzchar(keys))) args else list()
  .mx.py("mx.apply", .mx.sym.path("symbol_apply"), list(x, positional, named, name))
}

# character(0) for an empty result (the bridge gives an empty list)
.mx.strings <- function(x) if (length(x)) as.character(unlist(x)) else character(0)

`$.MXSymbol` <- function(x, name) {
  switch(name,
    arguments = arguments(x),
    outputs = outputs(x),
    auxiliary.states = .mx.strings(.mx.method("auxiliary.states", x, "list_auxiliary_states")),
    attributes = .mx.method("attributes", x, "list_attr"),
    as.json = function() .mx.method("as.json", x, "tojson"),
    debug.str = function() .mx.method("debug.str", x, "debug_str"),
    save = function(filename) mx.symbol.save(x, filename),
    get.internals = function() internals(x),
    get.children = function() children(x),
    get.output = function(index) .mx.py("get.output", .mx.sym.path("symbol_output"),
                                        list(x, index)),
    infer.shape = function(shapes) do.call(mx.symbol.infer.shape, c(list(x), shapes)),
    apply = function(kwargs) do.call(mx.apply, c(list(x), kwargs)),
    stop("MXSymbol has no member '", name, "'", call. = FALSE))
}

`$<-.MXSymbol` <- function(x, name, value) {
  if (!identical(name, "attributes")) {
    stop("MXSymbol: cannot assign member '", name, "' (only attributes)", call. = FALSE)
  }
  if (!is.list(value) || (length(value) && is.null(names(value)))) {
    stop("MXSymbol$attributes: Need to pass parameters in list of key=value style.",
         call. = FALSE)
  }
  ok <- vapply(value, function(v) is.character(v) && length(v) == 1L, logical(1))
  if (!all(ok)) stop("MXSymbol$attributes: Attribute values must be characters.", call. = FALSE)
  .mx.py("MXSymbol$attributes", .mx.sym.path("symbol_set_attributes"), list(x, value))
  x
}

`[[.MXSymbol` <- function(x, i) {
  if (length(i) != 1L || is.na(i)) stop("MXSymbol[[: index must be a single value", call. = FALSE)
  .mx.py("MXSymbol[[", .mx.sym.path("symbol_output"), list(x, i))
}

print.MXSymbol <- function(x, ...) {
  out <- outputs(x)
  cat("MXSymbol with output(s): ", paste(out, collapse = ", "), "\n", sep = "")
  cat("arguments: ", paste(arguments(x), collapse = ", "), "\n", sep = "")
  invisible(x)
}

c.MXSymbol <- function(...) list(...)

Ops.MXSymbol <- function(e1, e2) {
  fname <- paste0("`", .Generic, "`")
  if (missing(e2)) {
    if (.Generic == "-") return(.mx.py(fname, .mx.sym.path("symbol_arith"), list("*", e1, -1)))
    if (.Generic == "+") return(e1)
    stop(fname, ": unary operator not supported for MXSymbol", call. = FALSE)
  }
  check <- function(v) {
    if (is.mx.symbol(v)) return(v)
    if (is.numeric(v) && length(v) == 1L && !is.na(v)) return(as.numeric(v))
    stop(fname, ": MXSymbol operations take an MXSymbol or a single number, got ",
         if (is.numeric(v)) paste("a numeric vector of length", length(v)) else class(v)[1L],
         call. = FALSE)
  }
  .mx.py(fname, .mx.sym.path("symbol_arith"), list(.Generic, check(e1), check(e2)))
}

# The real package's mx.varg.symbol.<op>(args) (generated in R/symbol_generated.R): one list
# holding the input symbols (by position or by input name), the parameters by name and
# optionally `name`, as its Rcpp module took them.
.mx.symbol.varg <- function(op, fname, args) {
  if (!is.list(args) || is.object(args)) {
    stop(fname, ": args must be a list of input symbols and named parameters, e.g. ",
         "c(list(s1, s2), num.args = 2)", call. = FALSE)
  }
  keys <- names(args)
  if (is.null(keys)) keys <- rep("", length(args))
  name <- NULL
  if ("name" %in% keys) {
    name <- args[[which(keys == "name")[1L]]]
    args <- args[keys != "name"]
  }
  .mx.symbol.invoke(op, fname, list(), args, name)
}
