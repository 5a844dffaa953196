// The reference for seatbelt.md: the chime sounds with the ignition on, someone seated and the
// belt open, or with the ignition off and the door open.
module RefModule (input ign, input occ, input belt, input door, output chime);
  assign chime = (ign & occ & ~belt) | (~ign & door);
endmodule
