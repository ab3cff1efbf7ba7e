# graph.viz: draw a network (the real package used DiagrammeR; here Graphviz's dot through
# the engine's mx.viz.plot_network).

graph.viz <- function(symbol, shape = NULL, direction = "TD", type = "graph",
                      graph.width.px = NULL, graph.height.px = NULL) {
  .mx.sym.arg(symbol, "graph.viz")
  if (!is.character(direction) || length(direction) != 1L || !direction %in% c("TD", "LR")) {
    stop("graph.viz: direction must be \"TD\" or \"LR\"", call. = FALSE)
  }
  if (!is.character(type) || length(type) != 1L || !type %in% c("graph", "vis")) stop("graph.viz: type must be \"graph\" or \"vis\"", call. = FALSE)
  if (!nzchar(Sys.which("dot"))) {
    stop("graph.viz: Graphviz's 'dot' program is needed to draw the graph", call. = FALSE)
  }
  shapes <- NULL
  if (!is.null(shape)) {
    if (!is.list(shape)) shape <- list(data = shape)
    shapes <- lapply(shape, function(s) as.list(as.numeric(s)))
  }
  file <- tempfile("mxnet-graph-", fileext = ".png")
  .mx.py("graph.viz", .mx.sym.path("draw_graph"),
         list(symbol, shapes, file, if (direction == "LR") "LR" else "TB"))
  if (interactive()) {
    viewer <- getOption("viewer")
    if (is.function(viewer)) viewer(file) else utils::browseURL(file)
  }
  invisible(structure(file, class = "mx.graph.viz"))
}

print.mx.graph.viz <- function(x, ...) {
  cat("network graph drawn to ", unclass(x), "\n", sep = "")
  invisible(x)
}
