vcl 4.1;

# Loaded at start until the controller pushes the real VCL over the admin port.
backend default none;

sub vcl_recv {
  return (synth(503, "no configuration loaded yet"));
}
